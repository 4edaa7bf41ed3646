// Delete every relationship whose type is in $types (tests: a case with less intelligence)
MATCH ()-[x]->()
WHERE type(x) IN $types
DELETE x
RETURN count(*) AS n
