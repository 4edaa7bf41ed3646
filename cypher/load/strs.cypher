// Suspicious transaction reports: $rows = [{id, case, rentity_id, report_code, submission_date, reason, indicators, source_sha256, record_ids}]
UNWIND $rows AS r
MATCH (c:Case {id: r.case})
MERGE (s:STR {id: r.id})
SET s.rentity_id = r.rentity_id, s.report_code = r.report_code,
    s.submission_date = r.submission_date, s.reason = r.reason, s.indicators = r.indicators,
    s.source_sha256 = r.source_sha256, s.record_ids = r.record_ids
MERGE (s)-[x:PART_OF]->(c)
SET x.key = 'STR:' + r.id + '>Case:' + r.case, x.source_sha256 = r.source_sha256, x.record_ids = r.record_ids
RETURN count(s) AS n
