"""Reading a case for people: names beside ids, explanations with their evidence, entity cards
and search — all from the workspace tables and results, no graph needed."""
