// Persons by id, in one batch: $rows = [{id, name}, ...]. Values are parameters, never text.
UNWIND $rows AS row
MERGE (p:Person {id: row.id})
SET p.name = row.name
RETURN count(p) AS n
