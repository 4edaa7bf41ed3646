// Index on the merge key of :Case — generated from cypher/model.toml
CREATE INDEX case_id IF NOT EXISTS FOR (n:Case) ON (n.id)
