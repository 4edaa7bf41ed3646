// Nodes and relationships without provenance (should be none), counted per label or type
MATCH (n)
WHERE n.source_sha256 IS NULL OR n.record_ids IS NULL
RETURN 'node' AS kind, labels(n)[0] AS name, count(n) AS n
UNION ALL
MATCH ()-[x]->()
WHERE x.source_sha256 IS NULL OR x.record_ids IS NULL
RETURN 'relationship' AS kind, type(x) AS name, count(x) AS n
