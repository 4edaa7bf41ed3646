// Company uses Phone — generated from cypher/model.toml
// $rows = [{owner, value, source_sha256, record_ids}]
UNWIND $rows AS r
MATCH (o:Company {id: r.owner})
MERGE (i:Phone {value: r.value})
ON CREATE SET i.source_sha256 = r.source_sha256, i.record_ids = r.record_ids
MERGE (o)-[u:USES]->(i)
SET u.key = 'Company:' + r.owner + '>Phone:' + r.value,
    u.source_sha256 = r.source_sha256, u.record_ids = r.record_ids
RETURN count(u) AS n
