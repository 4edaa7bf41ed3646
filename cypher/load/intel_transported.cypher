// Intelligence 'transported': (:Person)-[:TRANSPORTED]->(:Person), one relationship per record — generated from cypher/model.toml
// $rows = [{subject_id, subject_name, object_id, object_name, link_id, date, date_ms, place, from_country, to_country, jurisdiction, source, grading, handling_code, source_sha256, record_ids}]
UNWIND $rows AS r
MERGE (s:Person {id: r.subject_id})
ON CREATE SET s.name = r.subject_name, s.source_sha256 = r.source_sha256, s.record_ids = r.record_ids
MERGE (o:Person {id: r.object_id})
ON CREATE SET o.name = r.object_name, o.source_sha256 = r.source_sha256, o.record_ids = r.record_ids
SET s.role = 'transporter', s.role_source = 'intelligence', o.role = 'victim', o.role_source = 'intelligence'
MERGE (s)-[x:TRANSPORTED {link_id: r.link_id}]->(o)
SET x.key = 'Person:' + r.subject_id + '>Person:' + r.object_id + '#' + r.link_id,
    x.date = r.date, x.date_ms = r.date_ms, x.place = r.place, x.from_country = r.from_country, x.to_country = r.to_country, x.jurisdiction = r.jurisdiction, x.source = r.source, x.grading = r.grading, x.handling_code = r.handling_code,
    x.source_sha256 = r.source_sha256, x.record_ids = r.record_ids
RETURN count(x) AS n
