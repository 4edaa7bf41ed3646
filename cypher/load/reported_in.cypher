// Accounts in the transactions of a report: $rows = [{account, report, count, source_sha256, record_ids}]
UNWIND $rows AS r
MATCH (a:Account {id: r.account}), (s:STR {id: r.report})
MERGE (a)-[x:REPORTED_IN]->(s)
SET x.key = 'Account:' + r.account + '>STR:' + r.report, x.count = r.count, x.source_sha256 = r.source_sha256, x.record_ids = r.record_ids
RETURN count(x) AS n
