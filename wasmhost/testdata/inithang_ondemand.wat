;; init at load times out (a load error); without (inithang_ondemand), every
;; invocation's init does, and holds its init slot until then.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (loop $forever (br $forever)))
  (func (export "fresco_handle")))
