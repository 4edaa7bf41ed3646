// Node counts per label (first label of each node).
MATCH (n)
RETURN labels(n)[0] AS label, count(n) AS n
ORDER BY label
