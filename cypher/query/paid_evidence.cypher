// Evidence transaction ids of the monthly flows in $flows = [{from, to, month}]
UNWIND $flows AS f
MATCH (a:Account {id: f.from})-[p:PAID {month: f.month}]->(b:Account {id: f.to})
RETURN a.id AS src, b.id AS dst, p.month AS month, p.record_ids AS evidence
