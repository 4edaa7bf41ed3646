// Index on the merge key of :IP — generated from cypher/model.toml (FalkorDB has no IF NOT EXISTS; an existing index is reported and skipped)
CREATE INDEX FOR (n:IP) ON (n.value)
