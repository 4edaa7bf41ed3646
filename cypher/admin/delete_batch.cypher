// Delete up to $limit nodes with their relationships (repeat until it returns 0): tests, benchmarks
MATCH (n)
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS n
