// Which of $ids hold an account that screening classified as a possible victim's
UNWIND $ids AS pid
MATCH (p:Person {id: pid})-[:HOLDS]->(a:Account)-[:FLAGGED_BY]->(al:Alert)
WHERE al.classification = 'possible_victim'
RETURN DISTINCT pid AS person
ORDER BY person
