;; The stop checks (stop_test.go): a loop that never ends, a recursion
;; without a loop that would take 2^n calls, and a loop with a parameter,
;; whose operand stack a check must leave alone.
(module
  (global $g (mut i32) (i32.const 0))
  (func (export "spin")
    (loop $l
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (br $l)))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  ;; count(n) = n + (n-1) + ... + 1, the counter carried as the loop's parameter.
  (func (export "count") (param $n i32) (result i32)
    (local $acc i32)
    (local.get $n)
    (loop $l (param i32) (result i32)
      (local.set $n)
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (local.get $n)
      (br_if $l))
    (drop)
    (local.get $acc))
  (memory (export "memory") 1))
