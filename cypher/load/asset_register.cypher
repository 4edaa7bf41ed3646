// The asset register's current state of each asset (fininvest assets), values in base currency:
// $rows = [{id, status, status_date, value_base, realised_base, to_victims_base, shared_base, events, register_head}]
UNWIND $rows AS r
MATCH (a:Asset {id: r.id})
SET a.status = r.status, a.status_date = r.status_date, a.value_base = r.value_base,
    a.realised_base = r.realised_base, a.to_victims_base = r.to_victims_base,
    a.shared_base = r.shared_base, a.register_events = r.events, a.register_head = r.register_head
WITH a, r
OPTIONAL MATCH (o)-[x:OWNS]->(a)
SET x.status = r.status, x.status_date = r.status_date
RETURN count(a) AS n
