// Screening alerts: $rows = [{id, account, case, rank, score, classification, indicators, families, source_sha256, record_ids}]
UNWIND $rows AS r
MATCH (a:Account {id: r.account}), (c:Case {id: r.case})
MERGE (al:Alert {id: r.id})
SET al.rank = r.rank, al.score = r.score, al.classification = r.classification,
    al.indicators = r.indicators, al.families = r.families,
    al.source_sha256 = r.source_sha256, al.record_ids = r.record_ids
MERGE (a)-[f:FLAGGED_BY]->(al)
SET f.key = 'Account:' + r.account + '>Alert:' + r.id, f.source_sha256 = r.source_sha256, f.record_ids = r.record_ids
MERGE (al)-[x:PART_OF]->(c)
SET x.key = 'Alert:' + r.id + '>Case:' + r.case, x.source_sha256 = r.source_sha256, x.record_ids = r.record_ids
RETURN count(al) AS n
