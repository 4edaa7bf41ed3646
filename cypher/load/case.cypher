// The case node, one per workspace: $rows = [{id, base_currency}]
UNWIND $rows AS r
MERGE (c:Case {id: r.id})
SET c.base_currency = r.base_currency
RETURN count(c) AS n
