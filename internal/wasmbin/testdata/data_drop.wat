(module
  (memory 1)
  (data $d "abc")
  (func (export "f") (data.drop $d)))
