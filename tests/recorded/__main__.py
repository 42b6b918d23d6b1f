from tests.recorded import main

main()
