// Index on the merge key of :Company — generated from cypher/model.toml
CREATE INDEX company_id IF NOT EXISTS FOR (n:Company) ON (n.id)
