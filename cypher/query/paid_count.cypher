// How many money-flow relationships the graph holds
MATCH ()-[p:PAID]->()
RETURN count(p) AS n
