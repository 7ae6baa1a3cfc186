(module
  (table $t 2 funcref)
  (func (export "f") (result i32) (table.grow $t (ref.null func) (i32.const 1))))
