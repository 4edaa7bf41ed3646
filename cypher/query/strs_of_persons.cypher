// Suspicious transaction reports that name an account held by each of $ids
UNWIND $ids AS pid
MATCH (p:Person {id: pid})-[:HOLDS]->(a:Account)-[r:REPORTED_IN]->(s:STR)
RETURN pid AS person, s.id AS report, a.id AS account, s.report_code AS report_code,
       s.submission_date AS submitted
ORDER BY person, report, account
