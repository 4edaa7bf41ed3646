// Index on the merge key of :Person — generated from cypher/model.toml (FalkorDB has no IF NOT EXISTS; an existing index is reported and skipped)
CREATE INDEX FOR (n:Person) ON (n.id)
