// Keep one :CONTROLLED per pair of nodes and link_id (repairs a graph that two loads at once duplicated before every relationship had a unique key) — generated from cypher/model.toml
MATCH (a)-[r:CONTROLLED]->(b)
WITH a, b, r.link_id AS d, collect(r) AS rs
WHERE size(rs) > 1
UNWIND tail(rs) AS extra
DELETE extra
RETURN count(*) AS n
