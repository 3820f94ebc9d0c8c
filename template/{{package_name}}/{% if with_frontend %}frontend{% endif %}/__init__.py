"""The front end component: the Next.js page the jury uses, on EC2 behind a load balancer."""
