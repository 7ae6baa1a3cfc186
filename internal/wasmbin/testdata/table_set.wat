(module
  (table $t 2 funcref)
  (func (export "f") (table.set $t (i32.const 0) (ref.null func))))
