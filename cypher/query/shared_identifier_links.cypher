// Parties that use the same phone, e-mail, address, device or IP
MATCH (p)-[:USES]->(i)<-[:USES]-(q)
WHERE p.id < q.id
RETURN p.id AS a, q.id AS b, count(i) AS shared
