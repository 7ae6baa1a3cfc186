;; Spins forever without calling anything (only a deadline can stop it).
(module
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    (loop $forever (br $forever))))
