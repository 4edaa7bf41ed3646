// Index on the merge key of :Person
CREATE INDEX person_id IF NOT EXISTS FOR (n:Person) ON (n.id)
