// Holder, role and country of each account in $ids
UNWIND $ids AS x
MATCH (a:Account {id: x})
OPTIONAL MATCH (h)-[:HOLDS]->(a)
RETURN a.id AS account, a.country AS country, h.id AS holder, h.name AS holder_name,
       h.role AS role, h.inferred_role AS inferred_role
ORDER BY account
