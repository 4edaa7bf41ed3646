// Index on the merge key of :STR — generated from cypher/model.toml (FalkorDB has no IF NOT EXISTS; an existing index is reported and skipped)
CREATE INDEX FOR (n:STR) ON (n.id)
