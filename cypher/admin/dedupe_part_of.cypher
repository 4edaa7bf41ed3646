// Keep one :PART_OF per pair of nodes (repairs a graph that two loads at once duplicated before every relationship had a unique key) — generated from cypher/model.toml
MATCH (a)-[r:PART_OF]->(b)
WITH a, b, collect(r) AS rs
WHERE size(rs) > 1
UNWIND tail(rs) AS extra
DELETE extra
RETURN count(*) AS n
