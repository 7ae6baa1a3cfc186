(module
  (table $t 2 funcref)
  (func (export "f") (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))))
