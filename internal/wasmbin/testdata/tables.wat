;; Three tables, one without a maximum, one with a small one, one with a
;; large one, code that grows them, and a mutable global: LimitTables
;; shares a bound out among them, and the snapshot rewrite composes with it.
(module
  (table $a 1 funcref)
  (table $b 2 10 funcref)
  (table $c 0 1000 externref)
  (global $g (mut i32) (i32.const 5))
  (func (export "grow") (param $t i32) (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $t))
      (then (table.grow $a (ref.null func) (local.get $n)))
      (else
        (if (result i32) (i32.eq (local.get $t) (i32.const 1))
          (then (table.grow $b (ref.null func) (local.get $n)))
          (else (table.grow $c (ref.null extern) (local.get $n))))))))
