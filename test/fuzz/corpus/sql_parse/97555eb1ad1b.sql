SELECT a -- first column
, /* second */ b FROM /* nested /* comment */ here */ t;