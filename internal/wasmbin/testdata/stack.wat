;; The stack count (stack_test.go): a recursion that returns from inside a
;; block, one with two results that returns and branches to its own label,
;; an indirect call, and a leaf, which the count leaves alone.
(module
  (type $ii (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $depth)
  (memory (export "memory") 1)
  (func $depth (export "depth") (param $n i32) (result i32)
    (block $b
      (br_if $b (local.get $n))
      (return (i32.const 0)))
    (i32.add
      (call_indirect (type $ii) (i32.sub (local.get $n) (i32.const 1)) (i32.const 0))
      (i32.const 1)))
  (func $pair (param $n i32) (result i32 i32)
    (if (i32.eqz (local.get $n))
      (then (return (i32.const 1) (i32.const 2))))
    (call $pair (i32.sub (local.get $n) (i32.const 1)))
    (br 0))
  (func (export "pair_sum") (param i32) (result i32)
    (call $pair (local.get 0))
    (i32.add))
  (func (export "leaf") (result i32) (i32.const 7)))
