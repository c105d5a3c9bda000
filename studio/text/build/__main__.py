from studio.text.build.pretrain import main

main()
