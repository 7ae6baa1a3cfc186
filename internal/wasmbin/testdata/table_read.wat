;; Only reads tables (and calls through one): MutatesTables is false.
(module
  (type $v (func))
  (table $t 2 funcref)
  (table $u 1 externref)
  (elem (table $t) (i32.const 0) func $f)
  (func $f (export "f") (result i32)
    (drop (table.get $t (i32.const 0)))
    (drop (table.get $u (i32.const 0)))
    (call_indirect $t (type $v) (i32.const 0))
    (i32.add (table.size $t) (table.size $u))))
