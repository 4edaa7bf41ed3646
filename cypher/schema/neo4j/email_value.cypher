// Index on the merge key of :Email — generated from cypher/model.toml
CREATE INDEX email_value IF NOT EXISTS FOR (n:Email) ON (n.value)
