(module
  (table $t 2 funcref)
  (elem $e func $f)
  (func $f (export "f") (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1))))
