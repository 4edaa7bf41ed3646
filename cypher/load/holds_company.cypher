// Company holds Account: $rows = [{holder, account, opened_by, source_sha256, record_ids}]
UNWIND $rows AS r
MATCH (h:Company {id: r.holder}), (a:Account {id: r.account})
MERGE (h)-[x:HOLDS]->(a)
SET x.key = 'Company:' + r.holder + '>Account:' + r.account,
    x.opened_by = r.opened_by, x.source_sha256 = r.source_sha256, x.record_ids = r.record_ids
RETURN count(x) AS n
