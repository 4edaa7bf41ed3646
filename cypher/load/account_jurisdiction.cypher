// Account → Country: $rows = [{id, country, source_sha256, record_ids}]; a country node keeps
// the provenance of the account record that first named it
UNWIND $rows AS r
MATCH (a:Account {id: r.id})
MERGE (c:Country {code: r.country})
ON CREATE SET c.source_sha256 = r.source_sha256, c.record_ids = r.record_ids
MERGE (a)-[j:IN_JURISDICTION]->(c)
SET j.key = 'Account:' + r.id + '>Country:' + r.country,
    j.source_sha256 = r.source_sha256, j.record_ids = r.record_ids
RETURN count(j) AS n
