// Companies: $rows = [{id, name, country, occupation, source_sha256, record_ids}]
UNWIND $rows AS r
MERGE (c:Company {id: r.id})
SET c.name = r.name, c.country = r.country, c.occupation = r.occupation,
    c.source_sha256 = r.source_sha256, c.record_ids = r.record_ids
RETURN count(c) AS n
