// Index on the merge key of :Ad — generated from cypher/model.toml
CREATE INDEX ad_id IF NOT EXISTS FOR (n:Ad) ON (n.id)
