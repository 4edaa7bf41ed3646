// Index on the merge key of :STR — generated from cypher/model.toml
CREATE INDEX str_id IF NOT EXISTS FOR (n:STR) ON (n.id)
