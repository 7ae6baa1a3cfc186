(module
  (table $t 2 funcref)
  (elem $e func $f)
  (func $f (export "f") (elem.drop $e)))
