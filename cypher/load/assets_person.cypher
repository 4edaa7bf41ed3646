// Assets owned by persons, with their latest confiscation status:
// $rows = [{id, owner, kind, description, value, currency, jurisdiction, status, status_date, history, source_sha256, record_ids}]
UNWIND $rows AS r
MATCH (o:Person {id: r.owner})
MERGE (a:Asset {id: r.id})
SET a.kind = r.kind, a.description = r.description, a.value = r.value, a.currency = r.currency,
    a.jurisdiction = r.jurisdiction, a.status = r.status, a.status_date = r.status_date,
    a.history = r.history, a.source_sha256 = r.source_sha256, a.record_ids = r.record_ids
MERGE (o)-[x:OWNS]->(a)
SET x.key = 'Person:' + r.owner + '>Asset:' + r.id, x.status = r.status, x.status_date = r.status_date, x.source_sha256 = r.source_sha256,
    x.record_ids = r.record_ids
RETURN count(x) AS n
