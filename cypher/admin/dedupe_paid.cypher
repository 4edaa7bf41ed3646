// Keep one :PAID per pair of nodes and month (repairs a graph that two loads at once duplicated before every relationship had a unique key) — generated from cypher/model.toml
MATCH (a)-[r:PAID]->(b)
WITH a, b, r.month AS d, collect(r) AS rs
WHERE size(rs) > 1
UNWIND tail(rs) AS extra
DELETE extra
RETURN count(*) AS n
