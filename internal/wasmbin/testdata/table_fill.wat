(module
  (table $t 2 funcref)
  (func (export "f") (table.fill $t (i32.const 0) (ref.null func) (i32.const 2))))
