// Known associates from intelligence, both directions, for each of $ids
UNWIND $ids AS pid
MATCH (p:Person {id: pid})-[x:ASSOCIATED_WITH]-(q:Person)
RETURN pid AS person, q.id AS associate, x.link_id AS link_id, x.grading AS grading
ORDER BY person, associate, link_id
