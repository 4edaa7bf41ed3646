// Index on the merge key of :Company — generated from cypher/model.toml (FalkorDB has no IF NOT EXISTS; an existing index is reported and skipped)
CREATE INDEX FOR (n:Company) ON (n.id)
