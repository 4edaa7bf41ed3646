// Account → Country: $rows = [{id, country}]
UNWIND $rows AS r
MATCH (a:Account {id: r.id})
MERGE (c:Country {code: r.country})
MERGE (a)-[j:IN_JURISDICTION]->(c)
RETURN count(j) AS n
